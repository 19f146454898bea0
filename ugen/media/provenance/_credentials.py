"""Who signs the Content Credentials: the operator's certificate, else this installation's.

The C2PA library refuses a self-signed signing certificate (the leaf must be issued by a CA,
carry a critical ``digitalSignature`` key usage and an ``emailProtection`` or
``documentSigning`` extended key usage), so the installation's credential is a small chain:
a CA made for this installation, whose private key is thrown away once it has issued the one
signing certificate, and that certificate with its key. Both are kept in one private file
(``c2pa/installation.pem`` in the data dir, 0600) so that readers never see half of it.
Nobody's trust list holds that CA, so readers show the signer as untrusted; the manifest
still validates (its hashes and signature are checked).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ugen.core.config import Settings
from ugen.core.paths import private_dir
from ugen.media.provenance._errors import SignerConfigError

SigningAlg = Literal["es256", "es384", "es512", "ps256", "ed25519"]
"""The C2PA signature algorithms U-Gen signs with (chosen by the key's type)."""

INSTALLATION_FILE = Path("c2pa") / "installation.pem"
"""The installation's signing key and certificate chain, relative to the data dir."""

INSTALLATION_VALIDITY = timedelta(days=3650)
RENEW_BEFORE = timedelta(days=30)
"""An installation certificate this close to its end is replaced by a new one."""

_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_CURVE_ALGS: dict[str, SigningAlg] = {"secp256r1": "es256", "secp384r1": "es384",
                                      "secp521r1": "es512"}


@dataclass(frozen=True)
class SigningCredentials:
    """A signing key with its certificate chain (PEM), as the C2PA library takes them."""

    source: Literal["operator", "installation"]
    alg: SigningAlg
    cert_chain_pem: bytes
    private_key_pem: bytes = field(repr=False)
    signer_name: str
    """The signing certificate's common name (what readers show as the signer)."""
    not_after: datetime
    tsa_url: str | None = None


def ensure_signer(settings: Settings, *, now: datetime | None = None) -> SigningCredentials:
    """The credentials that sign final videos: the operator's when ``UGEN_C2PA_CERT_FILE``
    and ``UGEN_C2PA_KEY_FILE`` are set, else this installation's (made on first use).

    Raises:
        SignerConfigError: the operator's files are missing, unreadable, do not match, have
            expired, or hold a key type C2PA cannot sign with.
    """
    now = now or datetime.now(UTC)
    cert_file, key_file = settings.c2pa_cert_file, settings.c2pa_key_file
    if cert_file is None and key_file is None:
        creds = _installation(settings.data_dir / INSTALLATION_FILE, now)
        return replace(creds, tsa_url=settings.c2pa_tsa_url)
    if cert_file is None or key_file is None:
        missing = "UGEN_C2PA_CERT_FILE" if cert_file is None else "UGEN_C2PA_KEY_FILE"
        raise SignerConfigError(missing, "set both the certificate chain and its key, or "
                                "neither (the installation's certificate is used then)")
    chain = _read(cert_file, "UGEN_C2PA_CERT_FILE")
    key = _read(key_file, "UGEN_C2PA_KEY_FILE")
    creds = _credentials("operator", chain, key, now=now,
                         settings_names=("UGEN_C2PA_CERT_FILE", "UGEN_C2PA_KEY_FILE"))
    return replace(creds, tsa_url=settings.c2pa_tsa_url)


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SignerConfigError(setting, f"cannot read {path}: {error.strerror}") from error


def _credentials(source: Literal["operator", "installation"], chain_pem: bytes,
                 key_pem: bytes, *, now: datetime,
                 settings_names: tuple[str, str]) -> SigningCredentials:
    """Check a chain and key belong together and can sign now; the key in PKCS#8."""
    cert_setting, key_setting = settings_names
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError as error:
        raise SignerConfigError(cert_setting, f"no PEM certificate in it ({error})") from error
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as error:
        raise SignerConfigError(key_setting, "not an unencrypted PEM private key") from error
    leaf = chain[0]
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if (leaf.public_key().public_bytes(serialization.Encoding.DER, public)
            != key.public_key().public_bytes(serialization.Encoding.DER, public)):
        raise SignerConfigError(key_setting, "the key is not the first certificate's key")
    if not leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc:
        raise SignerConfigError(cert_setting, "the signing certificate is not valid now "
                                f"({leaf.not_valid_before_utc:%Y-%m-%d} to "
                                f"{leaf.not_valid_after_utc:%Y-%m-%d})")
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return SigningCredentials(
        source=source, alg=_alg_of(key, key_setting),
        cert_chain_pem=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        private_key_pem=pkcs8, signer_name=_common_name(leaf),
        not_after=leaf.not_valid_after_utc)


def _alg_of(key: object, setting: str) -> SigningAlg:
    # RSA signs with PSS: C2PA does not accept PKCS#1 v1.5 signatures.
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name in _CURVE_ALGS:
        return _CURVE_ALGS[key.curve.name]
    raise SignerConfigError(setting, f"C2PA cannot sign with a {type(key).__name__} key "
                            "(use EC P-256/P-384/P-521, RSA or Ed25519)")


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


# --- the installation's credential ------------------------------------------------------------

def _installation(path: Path, now: datetime) -> SigningCredentials:
    """The installation's credential, made by the first process that needs it.

    Concurrent processes each make a candidate and ``link`` it into place, which fails when
    the file exists: the first one wins and every process then reads the winner's file.
    """
    present = path.exists()
    found = _load_installation(path, now) if present else None
    if found is not None:
        return found
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_make_installation_pem(now))
            fh.flush()
            os.fsync(fh.fileno())
        if present:
            # Expiring or damaged: replaced, atomically (racing renewals each leave a valid
            # file; the last one stays).
            os.replace(tmp, path)
        else:
            # Fails when another process got there first: its file is the one.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    loaded = _load_installation(path, now)
    if loaded is None:
        raise RuntimeError(f"the installation's C2PA credential {path} cannot be read")
    return loaded


def _load_installation(path: Path, now: datetime) -> SigningCredentials | None:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    key_end = pem.find(b"-----END PRIVATE KEY-----")
    if key_end < 0:
        return None
    split = key_end + len(b"-----END PRIVATE KEY-----\n")
    try:
        creds = _credentials("installation", pem[split:], pem[:split], now=now,
                             settings_names=(str(path), str(path)))
    except SignerConfigError:
        return None
    return creds if creds.not_after - now > RENEW_BEFORE else None


def _make_installation_pem(now: datetime) -> bytes:
    """A fresh CA and the signing certificate it issues, with the signing key (PKCS#8)
    first; the CA's key is not kept, so it can issue nothing else."""
    tag = uuid.uuid4().hex[:8]
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "U-Gen (self-issued, unverified)")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            f"U-Gen installation CA {tag}"), org])
    start, end = now - timedelta(hours=1), now + INSTALLATION_VALIDITY
    ca = (x509.CertificateBuilder()
          .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end + timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_key_usage(cert_sign=True), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"U-Gen installation {tag}"),
                      org])
    leaf = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                  _DOCUMENT_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return b"".join((
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()),
        leaf.public_bytes(serialization.Encoding.PEM),
        ca.public_bytes(serialization.Encoding.PEM)))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not cert_sign, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                         encipher_only=False, decipher_only=False)
