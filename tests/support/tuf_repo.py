#!/usr/bin/env python3
"""Builds TUF repositories for tests/tuf.rs with python-tuf (the reference implementation's
Metadata API and securesystemslib's keys, canonical JSON and key IDs), so gitsign's TUF client
is checked against metadata it did not write itself.

    tuf_repo.py OUT TARGET SCENARIO

writes OUT/root.json (the root a client bootstraps from, version 1) and OUT/first/ (the
repository a first `gitsign initialize` sees); scenarios about a later run also write
OUT/second/ (what the mirror serves on the second run). The target is served as
trusted_root.json. Consistent snapshots; ECDSA P-256 keys, as Sigstore's repository has.

Scenarios:
  good               root rotated 1 -> 2; second: every role one version newer
  tampered-target    the target's bytes differ from the hash targets.json gives
  expired-timestamp  timestamp.json expired
  wrong-timestamp-key  timestamp.json signed by a key the root does not list
  bad-rotation-old   2.root.json not signed by root v1's key
  bad-rotation-new   2.root.json not signed by its own root key
  one-key-two-ids    the timestamp role has threshold 2 and lists one key under two IDs (two
                     JSON spellings of it); timestamp.json carries a signature under each ID
  wrong-keyid        a key listed under an ID that is not the SHA-256 of its canonical JSON
  oversized-timestamp  timestamp.json larger than gitsign's 64 KiB cap
  rollback-timestamp second: timestamp version 1 after 2
  rollback-snapshot  second: timestamp version 3 naming snapshot version 1 after 2
  rollback-targets   second: timestamp and snapshot version 3, snapshot naming targets 1 after 2
  rollback-root      second: 3.root.json is root version 2 again (an older root under a newer name)
"""
import copy, hashlib, os, shutil, sys
from datetime import datetime, timezone

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, SSlibKey
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

FAR = datetime(2099, 1, 1, tzinfo=timezone.utc)
PAST = datetime(2001, 1, 1, tzinfo=timezone.utc)


def keyid_of(key_dict):
    return hashlib.sha256(encode_canonical(key_dict).encode()).hexdigest()


def respelled(signer, extra):
    """The same public key under another ID: its JSON gains an unrecognised field."""
    k = signer.public_key
    fields = {"x-spelling": extra}
    d = dict(k.to_dict(), **fields)
    key = SSlibKey(keyid_of(d), k.keytype, k.scheme, copy.deepcopy(k.keyval), fields)
    return key, CryptoSigner(signer._private_key, key)


def write(md, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(md.to_bytes(JSONSerializer(compact=False)))
    with open(path, "rb") as f:
        return f.read()


def make_root(version, root_signer, online, expires=FAR):
    root = Root(version=version, expires=expires, consistent_snapshot=True)
    root.add_key(root_signer.public_key, "root")
    for role in ("timestamp", "snapshot", "targets"):
        root.add_key(online.public_key, role)
    return root


def signed(payload, *signers):
    md = Metadata(payload)
    for s in signers:
        md.sign(s, append=True)
    return md


class Repo:
    def __init__(self, out, target):
        self.out, self.target = out, target
        self.k1, self.k2, self.online = (CryptoSigner.generate_ecdsa() for _ in range(3))
        self.root1 = make_root(1, self.k1, self.online)
        self.root2 = make_root(2, self.k2, self.online)
        self.timestamp_signers = [self.online]

    def bootstrap(self):
        write(signed(self.root1, self.k1), os.path.join(self.out, "root.json"))

    def roots(self, d, rotation_signers=None):
        write(signed(self.root1, self.k1), os.path.join(d, "1.root.json"))
        write(signed(self.root2, *(rotation_signers or (self.k1, self.k2))), os.path.join(d, "2.root.json"))

    def roles(self, d, ts_v, snap_v, targets_v, *, snap_named=None, targets_named=None, ts_expires=FAR,
              ts_extra=None, target_bytes=None):
        sha = hashlib.sha256(self.target).hexdigest()
        os.makedirs(os.path.join(d, "targets"), exist_ok=True)
        with open(os.path.join(d, "targets", f"{sha}.trusted_root.json"), "wb") as f:
            f.write(self.target if target_bytes is None else target_bytes)
        targets = Targets(version=targets_v, expires=FAR)
        targets.targets["trusted_root.json"] = TargetFile.from_data("trusted_root.json", self.target, ["sha256"])
        tb = write(signed(targets, self.online), os.path.join(d, f"{targets_v}.targets.json"))
        snapshot = Snapshot(version=snap_v, expires=FAR)
        snapshot.meta["targets.json"] = MetaFile(
            version=targets_named or targets_v, length=len(tb), hashes={"sha256": hashlib.sha256(tb).hexdigest()}
        )
        sb = write(signed(snapshot, self.online), os.path.join(d, f"{snap_v}.snapshot.json"))
        timestamp = Timestamp(version=ts_v, expires=ts_expires,
                              unrecognized_fields={"x-padding": ts_extra} if ts_extra else None)
        timestamp.snapshot_meta = MetaFile(
            version=snap_named or snap_v, length=len(sb), hashes={"sha256": hashlib.sha256(sb).hexdigest()}
        )
        write(signed(timestamp, *self.timestamp_signers), os.path.join(d, "timestamp.json"))


def main(out, target_path, scenario):
    with open(target_path, "rb") as f:
        target = f.read()
    repo = Repo(out, target)
    first, second = os.path.join(out, "first"), os.path.join(out, "second")
    if scenario == "bad-rotation-old":
        repo.roots(first, (repo.k2,))
    elif scenario == "bad-rotation-new":
        repo.roots(first, (repo.k1,))
    elif scenario == "one-key-two-ids":
        key2, signer2 = respelled(repo.online, "second")
        repo.root2.add_key(key2, "timestamp")
        repo.root2.roles["timestamp"].threshold = 2
        repo.timestamp_signers = [repo.online, signer2]
        repo.roots(first)
    elif scenario == "wrong-keyid":
        k = repo.online.public_key
        wrong = SSlibKey(hashlib.sha256(b"not this key").hexdigest(), k.keytype, k.scheme, k.keyval)
        repo.root2.revoke_key(k.keyid, "timestamp")
        repo.root2.add_key(wrong, "timestamp")
        repo.timestamp_signers = [CryptoSigner(repo.online._private_key, wrong)]
        repo.roots(first)
    else:
        repo.roots(first)
    repo.bootstrap()

    if scenario == "tampered-target":
        repo.roles(first, 1, 1, 1, target_bytes=bytes([target[0] ^ 1]) + target[1:])
    elif scenario == "expired-timestamp":
        repo.roles(first, 1, 1, 1, ts_expires=PAST)
    elif scenario == "wrong-timestamp-key":
        repo.timestamp_signers = [CryptoSigner.generate_ecdsa()]
        repo.roles(first, 1, 1, 1)
    elif scenario == "oversized-timestamp":
        repo.roles(first, 1, 1, 1, ts_extra="x" * (80 * 1024))
    elif scenario.startswith("rollback-"):
        repo.roles(first, 2, 2, 2)
        shutil.copytree(first, second)
        if scenario == "rollback-timestamp":
            repo.roles(second, 1, 2, 2)
        elif scenario == "rollback-snapshot":
            repo.roles(second, 3, 1, 2)
        elif scenario == "rollback-targets":
            repo.roles(second, 3, 3, 1)
        elif scenario == "rollback-root":
            shutil.copy(os.path.join(second, "2.root.json"), os.path.join(second, "3.root.json"))
        else:
            raise SystemExit(f"unknown scenario {scenario}")
    elif scenario in ("good", "bad-rotation-old", "bad-rotation-new", "one-key-two-ids", "wrong-keyid"):
        repo.roles(first, 1, 1, 1)
        if scenario == "good":
            shutil.copytree(first, second)
            repo.roles(second, 2, 2, 2)
    else:
        raise SystemExit(f"unknown scenario {scenario}")


if __name__ == "__main__":
    main(*sys.argv[1:])
