"""A real SMTP server for the alert tests (aiosmtpd), saving what it receives.

Usage: python3 smtp_sink.py OUT_DIR
Listens on 127.0.0.1 on a free port, prints the port on one line once it accepts connections,
and writes each message as OUT_DIR/<n>.json: the envelope, the headers as Python's email package
decodes them, the plain-text body decoded, and the raw message. Refuses any recipient whose
address starts with "refuse" (550), as a server does for a mailbox that does not exist.
Runs until killed.
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Save:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "content_type": message.get_content_type(),
            "is_multipart": message.is_multipart(),
            "body": body.get_content() if body is not None else None,
            "raw": envelope.content.decode("utf-8", errors="replace"),
        }
        self.count += 1
        # Written under a temporary name then renamed: a reader never sees half a file.
        path = os.path.join(self.out_dir, f"{self.count}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 OK"


async def main(out_dir):
    handler = Save(out_dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
