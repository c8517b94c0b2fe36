"""A real SMTP server on loopback for the notifier's tests (aiosmtpd, from PyPI).

Every message it accepts is parsed with Python's own email package and written to OUT as
<n>.json: the envelope, the headers, and the text and HTML parts. RCPT TO an address given with
--reject is refused with 550 (a permanent failure); the first --busy messages are refused at
DATA with 451 (a transient one). Prints "ready <port>" once it listens.
"""

import argparse
import asyncio
import json
import os
import signal
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, reject, busy):
        self.out = out
        self.reject = set(reject)
        self.busy = busy
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: no such user here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy > 0:
            self.busy -= 1
            return "451 4.3.0 try again later"
        self.count += 1
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        path = os.path.join(self.out, "%06d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as sink-%d" % self.count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--busy", type=int, default=0)
    args = parser.parse_args()
    controller = Controller(
        Sink(args.out, args.reject, args.busy), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    print("ready %d" % args.port, flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
