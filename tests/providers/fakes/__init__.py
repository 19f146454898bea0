"""Faithful fake vendor servers, run on loopback in the tests."""
