"""One router per page group: sign-in, jobs, live streams, the new-ad form, the account
pages, and the catalog's pictures and voice samples."""
