"""rfc3161-client's verdicts (called as sigstore-python calls it) on the RFC 3161 tokens that
timestamp.rs's unit test writes when GITSIGN_DUMP_TOKENS=DIR is set:

    GITSIGN_DUMP_TOKENS=DIR cargo test --lib timestamp::tests
    .venv/bin/python tests/it/differential/check_tokens.py DIR

Prints one line a token: ACCEPTS, or refuses with the reason.
"""

import glob
import os
import sys

from cryptography import x509
from rfc3161_client import VerifierBuilder, decode_timestamp_response


def tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def main() -> None:
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.tsr"))):
        token = open(path, "rb").read()
        cert = x509.load_der_x509_certificate(open(path[:-4] + ".crt", "rb").read())
        # A TimeStampResp: status granted (0), then the token.
        response = tlv(0x30, tlv(0x30, bytes([2, 1, 0])) + token)
        name = os.path.basename(path)
        try:
            verifier = VerifierBuilder().tsa_certificate(cert).add_root_certificate(cert).build()
            verifier.verify_message(decode_timestamp_response(response), b"the signature stamped")
            print(name, "ACCEPTS")
        except Exception as e:  # every refusal, whatever its class
            print(name, "refuses:", type(e).__name__, str(e)[:120])


if __name__ == "__main__":
    main()
