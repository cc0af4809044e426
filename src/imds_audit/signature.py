"""Ed25519 signatures of a snapshot's manifest: who vouches for the evidence.

The manifest holds every table's SHA-256, so signing its bytes signs the whole snapshot. The
signature sits next to it in ``signature.json`` with the signer's public key and its fingerprint.
Keys are PEM files; make a pair with::

    openssl genpkey -algorithm ed25519 -out audit-signing.pem         # private: keep it safe
    openssl pkey -in audit-signing.pem -pubout -out audit-signing.pub  # public: give it to readers

``imds-audit collect --sign-key audit-signing.pem`` signs; ``imds-audit report --verify-key
audit-signing.pub`` refuses a snapshot that is unsigned, signed by another key, or changed since.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIGNATURE = "signature.json"
KIND = "imds-audit-manifest-signature"


class SignatureError(Exception):
    """A key that cannot be used, or a signature that does not hold; the message is one line."""


@dataclass(frozen=True)
class SignatureInfo:
    """What a reader knows about a snapshot's signature (``Snapshot.signature``).

    signed: a signature.json is present and matches the manifest under the public key it names.
    fingerprint: that key's fingerprint ("sha256:" + hex of the SHA-256 of its 32 raw bytes), or "".
    verified: the key was also the one the reader asked for (``read(..., verify_key=...)``); without a
    key to check against, a signature only shows the manifest is unchanged since someone signed it.
    """

    signed: bool = False
    fingerprint: str = ""
    verified: bool = False


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise SignatureError(f"signing key {path}: cannot be read ({exc.strerror or exc})") from None
    except TypeError:
        raise SignatureError(f"signing key {path}: is encrypted; give an unencrypted PEM key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError(f"signing key {path}: not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"signing key {path}: not an Ed25519 key "
                             "(make one with: openssl genpkey -algorithm ed25519)")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise SignatureError(f"verify key {path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError(f"verify key {path}: not a PEM public key "
                             "(openssl pkey -in PRIVATE.pem -pubout)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError(f"verify key {path}: not an Ed25519 key")
    return key


def sign(directory: Path, manifest: bytes, key: Ed25519PrivateKey) -> None:
    public = key.public_key()
    doc = {"kind": KIND, "algorithm": "ed25519",
           "public_key": base64.b64encode(public.public_bytes(serialization.Encoding.Raw,
                                                              serialization.PublicFormat.Raw)).decode(),
           "fingerprint": fingerprint(public),
           "signature": base64.b64encode(key.sign(manifest)).decode()}
    (Path(directory) / SIGNATURE).write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")


def check(directory: Path, manifest: bytes, expected: Ed25519PublicKey | None = None) -> SignatureInfo:
    """The signature of a snapshot directory; raise SignatureError if it does not hold, or if
    ``expected`` is given and the snapshot is not signed by that key."""
    path = Path(directory) / SIGNATURE
    if not path.is_file():
        if expected is not None:
            raise SignatureError(f"{directory}: not signed (no {SIGNATURE}); a signature by "
                                 f"{fingerprint(expected)} was required")
        return SignatureInfo()
    key, signature = _parse(path)
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        raise SignatureError(f"{path}: the signature does not match the manifest "
                             "(changed since it was signed)") from None
    found = fingerprint(key)
    if expected is not None and found != fingerprint(expected):
        raise SignatureError(f"{path}: signed by {found}, not by the required key {fingerprint(expected)}")
    return SignatureInfo(signed=True, fingerprint=found, verified=expected is not None)


def _parse(path: Path) -> tuple[Ed25519PublicKey, bytes]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("kind") != KIND or doc.get("algorithm") != "ed25519":
            raise ValueError("not an ed25519 manifest signature")
        raw = base64.b64decode(doc["public_key"], validate=True)
        signature = base64.b64decode(doc["signature"], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw), signature
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError, binascii.Error) as exc:
        raise SignatureError(f"{path}: damaged signature ({exc.__class__.__name__})") from None
