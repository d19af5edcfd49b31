"""Verifies the DKIM signatures of message files with dkimpy, an implementation independent of
the one that signed them. The DNS lookup is replaced by the record given on the command line
(what `devforum dkim-keygen` prints), so nothing leaves the machine.

    .local/venv/bin/python scripts/dkim-verify.py 'v=DKIM1; k=ed25519; p=...' a.eml b.eml

Prints `<file>: pass` or `<file>: fail` for each and exits 0 only when every one passes.
"""

import sys

import dkim


def main() -> int:
    record, files = sys.argv[1].encode(), sys.argv[2:]

    def dnsfunc(name, timeout=5):
        return record

    failed = 0
    for path in files:
        with open(path, "rb") as handle:
            message = handle.read()
        ok = dkim.verify(message, dnsfunc=dnsfunc)
        failed += not ok
        print(f"{path}: {'pass' if ok else 'fail'}")
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main())
