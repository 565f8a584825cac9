"""Verifies many Sigstore bundles in one process with sigstore-python's library, the way
`sigstore verify identity --offline --bundle B --cert-identity I --cert-oidc-issuer U FILE`
does (the CLI's own `_verify_common`: hashedrekord or DSSE/in-toto), so a differential test
need not pay the interpreter's start-up once per bundle.

stdin: a JSON list of {"bundle", "artifact", "trusted_root", "identity", "issuer"} (paths).
stdout: a JSON list, one {"ok": bool, "error": str} per job, in order.
"""

import json
import sys
from pathlib import Path

from sigstore._cli import _verify_common
from sigstore._utils import sha256_digest
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy


def main() -> None:
    verifiers: dict[str, Verifier] = {}
    results = []
    for job in json.load(sys.stdin):
        try:
            root = job["trusted_root"]
            if root not in verifiers:
                verifiers[root] = Verifier(trusted_root=TrustedRoot.from_file(root))
            with open(job["artifact"], "rb") as io:
                hashed = sha256_digest(io)
            bundle = Bundle.from_json(Path(job["bundle"]).read_bytes())
            identity = policy.Identity(identity=job["identity"], issuer=job["issuer"])
            _verify_common(verifiers[root], hashed, bundle, identity)
            results.append({"ok": True, "error": ""})
        except Exception as e:  # every refusal, whatever its class, is a refusal
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
