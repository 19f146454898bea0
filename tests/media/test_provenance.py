"""Content Credentials: signed C2PA manifests on final videos, read back with c2pa's Reader."""

from __future__ import annotations

import json
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from media_kit import VideoFactory

from ugen import __version__
from ugen.core.config import Settings, get_settings
from ugen.media.probe import probe
from ugen.media.provenance import (
    TRAINED_ALGORITHMIC_MEDIA,
    SignerConfigError,
    SigningError,
    ai_disclosure,
    ensure_signer,
    read_manifest,
    sign_and_check,
    sign_video,
)
from ugen.media.provenance._credentials import INSTALLATION_FILE
from ugen.media.verify import top_level_atoms

SigningKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Ads")])


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                         decipher_only=False)


def _operator_chain(tmp: Path, key: SigningKey, *, key_id: bool = True
                    ) -> tuple[Path, Path, bytes]:
    """An operator's signing certificate issued by its own CA (with the authority key
    identifier unless not ``key_id``) and key, written to files; returns them and the CA
    certificate (PEM)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    root = _name("Acme Root")
    ca = (x509.CertificateBuilder().subject_name(root).issuer_name(root)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_usage(ca=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(_name("Acme Signer"))
            .issuer_name(root)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False))
    if key_id:
        leaf = leaf.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False)
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = tmp / "operator-chain.pem", tmp / "operator-key.pem"
    signed = leaf.sign(ca_key, hashes.SHA256())
    cert_file.write_bytes(signed.public_bytes(serialization.Encoding.PEM) + ca_pem)
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL
                                           if isinstance(key, ec.EllipticCurvePrivateKey)
                                           else serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file, ca_pem


def _use_operator(monkeypatch: pytest.MonkeyPatch, cert: Path, key: Path) -> Settings:
    monkeypatch.setenv("UGEN_C2PA_CERT_FILE", str(cert))
    monkeypatch.setenv("UGEN_C2PA_KEY_FILE", str(key))
    return get_settings()


def test_sign_video_reads_back_as_ai_made_by_ugen(settings: Settings,
                                                   make_video: VideoFactory,
                                                   tmp_path: Path) -> None:
    src = make_video("ad.mp4", duration=1.0)
    dst = tmp_path / "signed.mp4"
    credentials = ensure_signer(settings)
    assert (credentials.source, credentials.alg) == ("installation", "es256")
    sign_video(src, dst, credentials, title="U-Gen ad job1")

    # Read with the C2PA library's own reader, as any verifier would.
    with c2pa.Reader(dst) as reader:
        store = json.loads(reader.json())
        assert reader.get_validation_state() == "Valid"
    manifest = store["manifests"][store["active_manifest"]]
    assert manifest["claim_generator_info"][0]["name"] == "U-Gen"
    assert manifest["claim_generator_info"][0]["version"] == __version__
    assert manifest["title"] == "U-Gen ad job1"
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))
    created = actions["data"]["actions"][0]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert created["softwareAgent"]["name"] == "U-Gen"
    # The installation's CA is in no trust list: the only failure is the untrusted signer.
    failures = store["validation_results"]["activeManifest"]["failure"]
    assert [f["code"] for f in failures] == ["signingCredential.untrusted"]

    summary = read_manifest(dst)
    assert summary is not None
    assert summary.claim_generator == f"U-Gen/{__version__}"
    assert summary.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert summary.software_agent == f"U-Gen/{__version__}"
    assert summary.signer == credentials.signer_name
    assert summary.signer is not None and summary.signer.startswith("U-Gen installation ")
    assert summary.validation_state == "Valid" and summary.untrusted_signer
    assert summary.is_valid and summary.ai_generated
    disclosure = ai_disclosure(dst)
    assert disclosure is not None and disclosure.ai_generated and disclosure.valid


def test_signed_video_probes_the_same(settings: Settings, make_video: VideoFactory,
                                      tmp_path: Path) -> None:
    src = make_video("ad.mp4", duration=1.0)
    dst = tmp_path / "signed.mp4"
    sign_and_check(src, dst, ensure_signer(settings), title="t")
    before, after = probe(src, count_frames=True), probe(dst, count_frames=True)
    assert after.video is not None and after.audio is not None
    assert after.duration == before.duration
    assert after.video.frames == before.video.frames == 30  # type: ignore[union-attr]
    assert after.layout == before.layout == ("video", "audio")
    assert (after.video, after.audio) == (before.video, before.audio)
    # The manifest is one ``uuid`` box after ``ftyp``; the boxes keep their order (so a
    # faststart file stays faststart: the final render's check runs on the signed file).
    assert top_level_atoms(dst) == [top_level_atoms(src)[0], "uuid", *top_level_atoms(src)[1:]]
    # The manifest adds a few kilobytes, not a copy of anything.
    assert 0 < dst.stat().st_size - src.stat().st_size < 64 * 1024


def test_tampered_video_fails_validation(settings: Settings, make_video: VideoFactory,
                                         tmp_path: Path) -> None:
    signed = tmp_path / "signed.mp4"
    sign_video(make_video("ad.mp4"), signed, ensure_signer(settings), title="t")
    data = bytearray(signed.read_bytes())
    data[data.index(b"mdat") + 500] ^= 0xFF  # one byte of the pictures
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))

    summary = read_manifest(tampered)
    assert summary is not None
    assert summary.validation_state == "Invalid"
    assert "assertion.bmffHash.mismatch" in summary.failures
    assert not summary.is_valid
    disclosure = ai_disclosure(tampered)
    assert disclosure is not None and disclosure.ai_generated and not disclosure.valid


def test_unsigned_video_has_no_manifest(make_video: VideoFactory) -> None:
    src = make_video("plain.mp4")
    assert read_manifest(src) is None
    assert ai_disclosure(src) is None


def test_installation_certificate_is_made_once_and_kept_private(settings: Settings) -> None:
    first = ensure_signer(settings)
    path = settings.data_dir / INSTALLATION_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    pem = path.read_bytes()
    # One private key (the signing one: the CA's is not kept) and the chain leaf, CA.
    assert pem.count(b"PRIVATE KEY-----") == 2
    leaf, ca = x509.load_pem_x509_certificates(first.cert_chain_pem)
    assert leaf.issuer == ca.subject != leaf.subject
    assert ensure_signer(settings) == first
    assert [p.name for p in path.parent.iterdir()] == ["installation.pem"]


def test_concurrent_first_use_makes_one_installation_certificate(settings: Settings) -> None:
    start = threading.Barrier(8)

    def first_use(_: int) -> bytes:
        start.wait()
        return ensure_signer(settings).cert_chain_pem

    with ThreadPoolExecutor(8) as pool:
        chains = set(pool.map(first_use, range(8)))
    assert chains == {ensure_signer(settings).cert_chain_pem}
    assert sorted(os.listdir(settings.data_dir / "c2pa")) == ["installation.pem"]


def test_expiring_installation_certificate_is_renewed(settings: Settings) -> None:
    first = ensure_signer(settings)
    later = ensure_signer(settings, now=first.not_after - timedelta(days=10))
    assert later.cert_chain_pem != first.cert_chain_pem
    assert later.not_after > first.not_after


@pytest.mark.parametrize(("key", "alg"), [
    (lambda: ec.generate_private_key(ec.SECP384R1()), "es384"),
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "ps256"),
    (ed25519.Ed25519PrivateKey.generate, "ed25519"),
])
def test_operator_certificate_signs_when_configured(
        settings: Settings, make_video: VideoFactory, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, key: object, alg: str) -> None:
    cert, key_file, ca_pem = _operator_chain(tmp_path, key())  # type: ignore[operator]
    operator = _use_operator(monkeypatch, cert, key_file)
    credentials = ensure_signer(operator)
    assert (credentials.source, credentials.alg, credentials.signer_name) == \
        ("operator", alg, "Acme Signer")
    dst = tmp_path / "signed.mp4"
    sign_and_check(make_video("ad.mp4"), dst, credentials, title="t")

    summary = read_manifest(dst)
    assert summary is not None and summary.signer == "Acme Signer"
    assert summary.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    # A reader that trusts the operator's CA trusts the video.
    trusted = read_manifest(dst, trust_anchors=ca_pem)
    assert trusted is not None and trusted.validation_state == "Trusted"
    assert trusted.failures == ()
    assert not (settings.data_dir / INSTALLATION_FILE).exists()


def test_operator_settings_that_cannot_sign_are_refused(
        tmp_path: Path, make_video: VideoFactory, monkeypatch: pytest.MonkeyPatch,
        settings: Settings) -> None:
    cert, key_file, _ = _operator_chain(tmp_path, ec.generate_private_key(ec.SECP256R1()))
    monkeypatch.setenv("UGEN_C2PA_CERT_FILE", str(cert))
    with pytest.raises(SignerConfigError) as half:
        ensure_signer(get_settings())
    assert half.value.setting == "UGEN_C2PA_KEY_FILE"

    other = tmp_path / "other-key.pem"
    other.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    with pytest.raises(SignerConfigError, match="not the first certificate's key"):
        ensure_signer(_use_operator(monkeypatch, cert, other))
    with pytest.raises(SignerConfigError, match="cannot read"):
        ensure_signer(_use_operator(monkeypatch, tmp_path / "missing.pem", key_file))

    # The C2PA library refuses a signing certificate without an authority key identifier.
    own = tmp_path / "no-key-id"
    own.mkdir()
    cert, key_file, _ = _operator_chain(own, ec.generate_private_key(ec.SECP256R1()),
                                        key_id=False)
    credentials = ensure_signer(_use_operator(monkeypatch, cert, key_file))
    with pytest.raises(SigningError, match=r"operator certificate.*Authority Key Identifier"):
        sign_video(make_video("ad.mp4"), tmp_path / "out.mp4", credentials, title="t")
