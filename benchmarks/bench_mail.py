"""Memory of taking in one large message: `helpdesk-tui mail fetch` under /usr/bin/time -v.

Run by hand (not part of the tests)::

    .venv/bin/python benchmarks/bench_mail.py            # a ~145 MB message
    .venv/bin/python benchmarks/bench_mail.py --mb 60    # a smaller one

It writes, in a fresh folder (benchmarks/data/mail/, gitignored): a config reading a
Maildir, a SQLite store (its first user, `mailbot`, made at first use), and one message
of about --mb MB in the Maildir's new/ (a text part and base64 attachments of up to
45 MB each, under the 90 MB cap, so every byte is decoded and stored). Then it runs the
real command line, `/usr/bin/time -v helpdesk-tui mail fetch`, prints what the command
printed, the peak resident memory ("Maximum resident set size") against the message's
size, and checks that the store holds the files, byte for byte. Target: peak <= 2 × the
message (it was 1.29 GB for a 145 MB message when the message was read whole into
strings). Measured: a 151.7 MB (145 MiB) message, peak RSS 62.5 MB (0.41 ×), 18 s.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import mailbox
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PIECE = bytes(range(256)) * 3 * 1024  # 768 KiB; a multiple of 57, so base64 lines align


def write_message(path: Path, megabytes: int) -> list[str]:
    """A message of about `megabytes` MB, written piece by piece (never whole in memory);
    the SHA-256 of each attachment as sent."""
    encoded = base64.encodebytes(PIECE).replace(b"\n", b"\r\n")
    pieces_total = megabytes * 1024 * 1024 // len(encoded)
    per_file = 45 * 1024 * 1024 // len(PIECE)  # 45 MB decoded per attachment
    digests = []
    with path.open("wb") as out:
        out.write(
            b"From: Maria Lopez <maria@acme.example>\r\nTo: support@helpdesk.test\r\n"
            b"Subject: Full logs of the outage\r\nMessage-ID: <big.1@acme.example>\r\n"
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="cut-here"\r\n\r\n'
            b"--cut-here\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            b"All the logs of last night are attached.\r\n"
        )
        number = 0
        while pieces_total > 0:
            number += 1
            count = min(per_file, pieces_total)
            pieces_total -= count
            out.write(
                b"--cut-here\r\nContent-Type: application/octet-stream\r\n"
                + f'Content-Disposition: attachment; filename="logs-{number}.bin"\r\n'.encode()
                + b"Content-Transfer-Encoding: base64\r\n\r\n"
            )
            digest = hashlib.sha256()
            for _ in range(count):
                out.write(encoded)
                digest.update(PIECE)
            digests.append(digest.hexdigest())
        out.write(b"--cut-here--\r\n")
    return digests


def _large(path: Path) -> bool:
    return path.stat().st_size > 1024 * 1024


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=145, help="size of the message in MB")
    args = parser.parse_args()
    folder = ROOT / "data" / "mail"
    shutil.rmtree(folder, ignore_errors=True)
    maildir = folder / "Maildir"
    folder.mkdir(parents=True)
    mailbox.Maildir(maildir, create=True)
    config = folder / "helpdesk-tui.toml"
    config.write_text(f'[mail]\ninbound = "maildir"\nmaildir = "{maildir}"\n')
    env = {
        **os.environ,
        "HELPDESK_TUI_CONFIG": str(config),
        "HELPDESK_TUI_DATA_DIR": str(folder / "data"),
        "HELPDESK_AGENT": "mailbot",
    }
    cli = str(BIN / "helpdesk-tui")
    message = folder / "message.eml"
    digests = write_message(message, args.mb)
    size = message.stat().st_size
    shutil.move(message, maildir / "new" / "1.big.bench")
    done = subprocess.run(
        ["/usr/bin/time", "-v", cli, "mail", "fetch"], env=env, capture_output=True, text=True
    )
    print(done.stdout, end="")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    elapsed = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", done.stderr)
    if done.returncode != 0 or found is None:
        print(done.stderr, file=sys.stderr)
        return 1
    peak = int(found[1]) * 1024
    print(
        f"message {size / 1e6:.1f} MB; peak RSS {peak / 1e6:.1f} MB "
        f"({peak / size:.2f} × the message); wall {elapsed[1] if elapsed else '?'}"
    )
    kept = {_sha256(p) for p in (folder / "data").rglob("*") if p.is_file() and _large(p)}
    missing = [d for d in digests if d not in kept]
    print(f"attachments stored byte for byte: {len(digests) - len(missing)} of {len(digests)}")
    return 0 if not missing and peak <= 2 * size else 1


if __name__ == "__main__":
    sys.exit(main())
