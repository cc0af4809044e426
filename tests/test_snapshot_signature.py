"""Signed snapshots (issue 16.7): Ed25519 over the manifest (which holds every table's hash).

Keys are made here with the `cryptography` library; the README's `openssl genpkey -algorithm ed25519`
makes the same PEM files (one test uses openssl when it is installed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factory import template_group
from imds_audit import signature
from imds_audit import snapshot as snap

CLI = str(Path(sys.executable).with_name("imds-audit"))


def _keys(tmp_path, name="k"):
    key = Ed25519PrivateKey.generate()
    private = tmp_path / f"{name}.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public = tmp_path / f"{name}.pub"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_signed_snapshot_reads_with_the_signers_fingerprint(tmp_path):
    private, public = _keys(tmp_path)
    path = snap.write(template_group(), tmp_path / "s", sign_key=signature.load_private_key(private))
    expected = signature.fingerprint(signature.load_public_key(public))
    plain = snap.read(path)
    assert plain.signature == signature.SignatureInfo(signed=True, fingerprint=expected, verified=False)
    checked = snap.read(path, verify_key=signature.load_public_key(public))
    assert checked.signature == signature.SignatureInfo(signed=True, fingerprint=expected, verified=True)
    assert snap.read(snap.write(template_group(), tmp_path / "u")).signature.signed is False


def test_unsigned_or_foreign_or_changed_snapshot_is_refused(tmp_path):
    private, public = _keys(tmp_path)
    _, other = _keys(tmp_path, "other")
    want = signature.load_public_key(public)
    unsigned = snap.write(template_group(), tmp_path / "u")
    with pytest.raises(snap.SnapshotError, match="not signed"):
        snap.read(unsigned, verify_key=want)
    signed = snap.write(template_group(), tmp_path / "s", sign_key=signature.load_private_key(private))
    with pytest.raises(snap.SnapshotError, match="not by the required key"):
        snap.read(signed, verify_key=signature.load_public_key(other))
    m = json.loads((signed / snap.MANIFEST).read_text())
    m["collected_by"] = "someone else"
    (signed / snap.MANIFEST).write_text(json.dumps(m, indent=2, sort_keys=True))
    for key in (None, want):  # a signature that no longer matches is refused with or without a key
        with pytest.raises(snap.SnapshotError, match="does not match the manifest"):
            snap.read(signed, verify_key=key)
    (signed / signature.SIGNATURE).write_text("{not json")
    with pytest.raises(snap.SnapshotError, match="damaged signature"):
        snap.read(signed)


def test_unusable_keys_are_one_line_errors(tmp_path):
    rsa = tmp_path / "rsa.pem"
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys
    rsa.write_bytes(rsa_keys.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "junk.pem").write_text("not a key")
    for path, needle in ((rsa, "not an Ed25519 key"), (tmp_path / "junk.pem", "not a PEM private key"),
                         (tmp_path / "absent.pem", "cannot be read")):
        with pytest.raises(signature.SignatureError, match=needle):
            signature.load_private_key(path)
    with pytest.raises(signature.SignatureError, match="not a PEM public key"):
        signature.load_public_key(tmp_path / "junk.pem")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_openssl_made_keys_work(tmp_path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(tmp_path / "k.pem")], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "k.pem"), "-pubout", "-out", str(tmp_path / "k.pub")],
                   check=True)
    path = snap.write(template_group(), tmp_path / "s", sign_key=signature.load_private_key(tmp_path / "k.pem"))
    assert snap.read(path, verify_key=signature.load_public_key(tmp_path / "k.pub")).signature.verified


def test_report_verify_key_refuses_with_rc_2_and_one_line(tmp_path):
    _, public = _keys(tmp_path)
    unsigned = snap.write(template_group(), tmp_path / "u")
    done = subprocess.run([CLI, "report", str(unsigned), "--out", str(tmp_path / "o"), "--verify-key", str(public)],
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "not signed" in lines[0], done.stderr
    assert not (tmp_path / "o").exists()


def test_the_report_says_whether_the_snapshot_was_signed_and_by_which_key(tmp_path):
    """Issue 16: the report names the key a snapshot was signed with, and whether it was verified."""
    from imds_audit import pipeline
    from imds_audit.present import ReportView

    private, public = _keys(tmp_path)
    path = snap.write(template_group(tokens="required"), tmp_path / "signed", sign_key=signature.load_private_key(private))
    for key, expect in ((None, "signed by key sha256:"), (signature.load_public_key(public), "verified with --verify-key")):
        f = pipeline.build(path, verify_key=key)
        rows = dict(ReportView(f, lang="en").metadata_rows())
        assert expect in rows["meta.signature"]
    unsigned = snap.write(template_group(tokens="required"), tmp_path / "plain")
    rows = dict(ReportView(pipeline.build(unsigned), lang="ja").metadata_rows())
    assert rows["meta.signature"].startswith("署名なし")
