"""Veo on Vertex AI with Application Default Credentials and videos written to Cloud Storage.

google-auth reads the service-account key file named by ``GOOGLE_APPLICATION_CREDENTIALS``
and signs its own JWT grant to the file's ``token_uri`` (the fake sign-in on loopback); the
SDK sends the bearer token to Vertex, and the adapter downloads the ``gs://`` result through
the Cloud Storage JSON API (``STORAGE_EMULATOR_HOST``) with a read-only storage token.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.providers.fakes.google_cloud import CLOUD_PLATFORM, ServiceAccount
from tests.providers.veo_kit import API_KEY, BUCKET, VeoAdcRig
from tests.utils.video import poll_until_done
from ugen.media.probe import probe
from ugen.providers.base import PermanentProviderError
from ugen.providers.vendor import MissingCredentialsError, VendorAuthError
from ugen.providers.veo._storage import GCS_SCOPE, media_url, storage_endpoint


def test_generate_segment_veo_adc_downloads_gcs_video(veo_adc: VeoAdcRig) -> None:
    adapter = veo_adc.adapter(gcs=True)
    name = adapter.submit(veo_adc.request())
    assert name.startswith(f"projects/{veo_adc.fake.project}/locations/us-central1/")
    result = poll_until_done(adapter, name)
    assert result.state == "succeeded" and result.output is not None
    info = probe(result.output)
    assert info.video is not None and abs(info.duration - 8.0) < 0.2
    op = veo_adc.fake.operations[name]
    assert op.parameters["storageUri"] == f"gs://{BUCKET}/veo/"
    # The video came from Cloud Storage, byte for byte, at the object Vertex named.
    object_name = f"veo/{name.rpartition('/')[2]}/sample_0.mp4"
    assert result.output.read_bytes() == veo_adc.google.objects[(BUCKET, object_name)]
    media = [r for r in veo_adc.google.requests if r["route"] == "media"]
    assert [(r["bucket"], r["name"]) for r in media] == [(BUCKET, object_name)]
    # google-auth signed two grants: cloud-platform for the SDK, read-only storage for us.
    grants = [r["scopes"] for r in veo_adc.google.requests if r["route"] == "token"]
    assert sorted(grants) == [[CLOUD_PLATFORM], [GCS_SCOPE]]


def test_generate_segment_veo_adc_inline_video_without_bucket(veo_adc: VeoAdcRig) -> None:
    adapter = veo_adc.adapter(gcs=False)
    name = adapter.submit(veo_adc.request())
    result = poll_until_done(adapter, name)
    assert result.state == "succeeded" and result.output is not None
    assert probe(result.output).video is not None
    assert "storageUri" not in veo_adc.fake.operations[name].parameters
    assert not [r for r in veo_adc.google.requests if r["route"] == "media"]


def test_generate_segment_veo_api_key_with_bucket_downloads_with_adc(
        veo_adc: VeoAdcRig) -> None:
    """Express mode (API key) for Vertex; the Cloud Storage download still needs ADC."""
    adapter = veo_adc.adapter(gcs=True, api_key=API_KEY)
    name = adapter.submit(veo_adc.request())
    result = poll_until_done(adapter, name)
    assert result.state == "succeeded" and result.output is not None
    grants = [r["scopes"] for r in veo_adc.google.requests if r["route"] == "token"]
    assert grants == [[GCS_SCOPE]]


def test_submit_segment_veo_adc_unknown_key_is_auth_error(
        veo_adc: VeoAdcRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stranger = ServiceAccount(email=veo_adc.google.account.email)  # same name, another key
    key_file = stranger.key_file(tmp_path / "stranger.json", token_uri=veo_adc.token_uri)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    with pytest.raises(VendorAuthError, match="refused"):
        veo_adc.adapter().submit(veo_adc.request())
    assert veo_adc.fake.submissions == 0


def test_submit_segment_veo_without_adc_is_missing_credentials(
        veo_adc: VeoAdcRig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    with pytest.raises(MissingCredentialsError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        veo_adc.adapter().submit(veo_adc.request())
    assert veo_adc.fake.submissions == 0


def test_veo_adc_private_key_never_in_errors(veo_adc: VeoAdcRig, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    stranger = ServiceAccount()
    key_file = stranger.key_file(tmp_path / "stranger.json", token_uri=veo_adc.token_uri)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    with pytest.raises(VendorAuthError) as err:
        veo_adc.adapter().submit(veo_adc.request())
    secret = key_file.read_text().split("PRIVATE KEY-----")[1][:64]
    for text in (str(err.value), repr(err.value), caplog.text):
        assert secret.replace("\\n", "") not in text.replace("\\n", "")



def test_media_url_gcs_object_name_is_percent_encoded() -> None:
    assert media_url("gs://my-bucket/veo/op 1/sample_0.mp4") == (
        "https://storage.googleapis.com/storage/v1/b/my-bucket/o/"
        "veo%2Fop%201%2Fsample_0.mp4?alt=media")
    for bad in ("gs://bucket-only", "gs:///name", "https://example.com/v.mp4"):
        with pytest.raises(PermanentProviderError, match="not a Cloud Storage object"):
            media_url(bad)


def test_storage_endpoint_follows_storage_emulator_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    assert storage_endpoint() == "https://storage.googleapis.com"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "localhost:4443")
    assert storage_endpoint() == "http://localhost:4443"
