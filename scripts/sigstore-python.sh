# Sourced by test.sh and demo.sh: makes sure sigstore-python 4.5.1 (PyPI) is in .venv and
# exports its path as GITSIGN_TEST_SIGSTORE.
venv="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv"
if ! "$venv/bin/sigstore" --version 2>/dev/null | grep -qx 'sigstore 4.5.1'; then
  echo "installing sigstore==4.5.1 into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'sigstore==4.5.1'
fi
export GITSIGN_TEST_SIGSTORE="$venv/bin/sigstore"
