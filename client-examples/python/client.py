"""Connects to a WebSocket API protected by ws-jwt-authorizer, sends whoami,
prints the answer, and stays connected: after a drop it reconnects with
backoff, fetching a fresh token first when its own has expired.

    WS_URL=wss://…/prod TOKEN=eyJ… python client.py
    python client.py --url ws://127.0.0.1:8080/local --token-url http://127.0.0.1:8081/token
"""
import argparse
import asyncio
import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

STATUS_MEANING = {
    401: "missing, invalid or expired token",
    403: "the token is valid but not allowed to connect to this API",
    500: "the authorizer failed (is the identity provider's key set reachable?)",
}


def expiry(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("exp")
    except (IndexError, ValueError):
        return None


def fresh_token(token_url):
    request = urllib.request.Request(
        token_url,
        data=json.dumps({"sub": "python-client"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["access_token"]


class Client:
    def __init__(self, args):
        self.url = args.url
        self.token = args.token
        self.token_url = args.token_url
        self.header = args.header
        self.max_connections = 1 if args.once else args.max_connections
        self.connections = 0

    def expired(self):
        exp = expiry(self.token) if self.token else None
        return exp is not None and exp <= time.time()

    def current_token(self):
        if self.token_url and (not self.token or self.expired()):
            self.token = fresh_token(self.token_url)
            print("fetched a fresh token", file=sys.stderr)
        return self.token or ""

    async def connect_once(self):
        """Returns "done", "dropped" or "refused"."""
        token = self.current_token()
        if self.header:
            target, headers = self.url, {"Authorization": f"Bearer {token}"}
        else:
            target = f"{self.url}?authorization={urllib.parse.quote(token, safe='')}"
            headers = None
        try:
            async with websockets.connect(target, additional_headers=headers) as socket:
                await socket.send("whoami")
                async for message in socket:
                    print(message, flush=True)
                    self.connections += 1
                    if self.connections >= self.max_connections:
                        return "done"
        except InvalidStatus as error:
            status = error.response.status_code
            meaning = STATUS_MEANING.get(status, "unexpected status")
            print(f"refused: {status} {error.response.reason_phrase} ({meaning})", file=sys.stderr)
            return "refused"
        except (ConnectionClosed, OSError) as error:
            print(f"connection lost: {error}", file=sys.stderr)
        return "dropped"

    async def run(self):
        delay = 1.0
        while True:
            outcome = await self.connect_once()
            if outcome == "done":
                return 0
            if outcome == "refused" and not (self.token_url and self.expired()):
                return 1
            print(f"reconnecting in {delay:.0f} s", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("WS_URL"), help="the WebSocket API URL (WS_URL)")
    parser.add_argument("--token", default=os.environ.get("TOKEN"), help="the access token (TOKEN)")
    parser.add_argument("--token-url", default=os.environ.get("TOKEN_URL"), help="where to fetch fresh tokens (TOKEN_URL)")
    parser.add_argument("--header", action="store_true", help="send the token in the Authorization header")
    parser.add_argument("--once", action="store_true", help="exit after the first whoami answer")
    parser.add_argument("--max-connections", type=int, default=sys.maxsize, help="exit after this many answers")
    args = parser.parse_args()
    if not args.url:
        parser.error("set WS_URL (or --url) to the WebSocket API's URL")
    sys.exit(asyncio.run(Client(args).run()))


if __name__ == "__main__":
    main()
