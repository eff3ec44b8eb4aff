#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""smtpd.py - the SMTP server of the Email pack tests, on Debian's aiosmtpd.

    smtpd.py DIR [--mode plain|starttls|smtps] [--cert PEM --key PEM]
                 [--auth USER:PASSWORD]

Listens on 127.0.0.1 on a port chosen by the kernel and writes that port to
DIR/port once it accepts connections.  Every accepted message is stored as
DIR/mail-N.json, decoded with Python's own email parser (an implementation
independent of the pack):

    {"mail_from", "rcpt_tos", "tls": bool, "auth_user": str|null,
     "raw": <the message as received, latin-1>, "headers": {name: [decoded]},
     "parts": [{"type", "charset", "text"}], "defects": [names]}

Recipients whose local part starts with "nobody" are refused with 550.
With --auth, AUTH is required (and, in starttls mode, only after STARTTLS).
Runs until SIGTERM.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Store:
    def __init__(self, directory, smtps):
        self.dir = directory
        self.smtps = smtps
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].startswith("nobody"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        headers = {}
        for name, value in msg.items():
            headers.setdefault(name.lower(), []).append(str(value))
        parts = []
        defects = [type(d).__name__ for d in msg.defects]
        for part in msg.walk():
            defects += [type(d).__name__ for d in part.defects]
            if part.is_multipart():
                continue
            parts.append({"type": part.get_content_type(),
                          "charset": part.get_content_charset(),
                          "text": part.get_content()})
        login = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": self.smtps or server._tls_protocol is not None,
            "auth_user": login.decode() if isinstance(login, bytes) else login,
            "raw": raw.decode("latin-1"),
            "headers": headers,
            "parts": parts,
            "defects": defects,
        }
        self.count += 1
        path = os.path.join(self.dir, "mail-%d.json" % self.count)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 OK message accepted"


def make_authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and \
                auth_data.login == user.encode() and auth_data.password == password.encode():
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)
    return check


async def serve(args):
    store = Store(args.dir, args.mode == "smtps")
    ctx = None
    if args.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
    kwargs = {"hostname": "mail.test"}
    if args.mode == "starttls":
        kwargs["tls_context"] = ctx
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs["authenticator"] = make_authenticator(user, password)
        kwargs["auth_required"] = True
        # with implicit TLS the whole session is encrypted already
        kwargs["auth_require_tls"] = args.mode == "starttls"
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(store, **kwargs), "127.0.0.1", 0,
                                      ssl=ctx if args.mode == "smtps" else None)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write("%d\n" % port)
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--mode", choices=["plain", "starttls", "smtps"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    args = p.parse_args()
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
