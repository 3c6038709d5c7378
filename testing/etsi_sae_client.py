#!/usr/bin/python3
"""A small ETSI GS QKD 014 V1.1.1 SAE client for the tests, written from the
standard's text: HTTPS with TLS 1.2 or later, the SAE's client certificate
(clause 5.1), the KME's certificate verified against a CA and its host name,
the three methods of Table 2, JSON bodies (Tables 10, 11, 12), and every
non-200 answer read as the Error data format (Table 13, which needs
"message"). It uses only the Python standard library and `requests` (Debian
python3-requests).

Usage (options before the method, as in most ETSI 014 command lines):
  etsi_sae_client.py --kme HOST:PORT --ca CA.pem [--cert SAE.pem --key SAE.key]
      status SLAVE_SAE_ID
      enc_keys SLAVE_SAE_ID [--number N] [--size BITS] [--post]
      dec_keys MASTER_SAE_ID KEY_ID ... [--get]

It prints one JSON line: {"status": CODE, "body": {...}} for an HTTP answer,
or {"error": "SSLError" | "ConnectionError" | ..., "detail": "..."} when the
TLS connection was refused (exit status 3).
"""

import argparse
import json
import sys
from urllib.parse import quote

import requests


class NotEtsiError(Exception):
    """A non-200 answer whose body is not the standard's Error format."""


def request(args, method, path, body=None, params=None):
    url = f"https://{args.kme}/api/v1/keys/{quote(path[0], safe='')}/{path[1]}"
    cert = (args.cert, args.key) if args.cert else None
    response = requests.request(
        method,
        url,
        json=body,
        params=params,
        cert=cert,
        verify=args.ca,
        timeout=10,
    )
    data = response.json()
    if response.status_code != 200 and not isinstance(data.get("message"), str):
        raise NotEtsiError(f"{response.status_code} without a message: {data}")
    return response.status_code, data


def main():
    parser = argparse.ArgumentParser(description="ETSI GS QKD 014 SAE client")
    parser.add_argument("--kme", required=True, help="KME host:port")
    parser.add_argument("--ca", required=True, help="CA bundle of the KME")
    parser.add_argument("--cert", help="the SAE's certificate (PEM)")
    parser.add_argument("--key", help="its private key (PEM)")
    methods = parser.add_subparsers(dest="method", required=True)
    status = methods.add_parser("status")
    status.add_argument("slave")
    enc = methods.add_parser("enc_keys")
    enc.add_argument("slave")
    enc.add_argument("--number", type=int)
    enc.add_argument("--size", type=int)
    enc.add_argument("--post", action="store_true")
    dec = methods.add_parser("dec_keys")
    dec.add_argument("master")
    dec.add_argument("key_ids", nargs="+")
    dec.add_argument("--get", action="store_true")
    args = parser.parse_args()

    try:
        if args.method == "status":
            status_code, data = request(args, "GET", (args.slave, "status"))
        elif args.method == "enc_keys":
            fields = {
                name: value
                for name, value in (("number", args.number), ("size", args.size))
                if value is not None
            }
            if args.post:
                status_code, data = request(
                    args, "POST", (args.slave, "enc_keys"), body=fields
                )
            else:
                status_code, data = request(
                    args, "GET", (args.slave, "enc_keys"), params=fields
                )
        elif args.get:
            status_code, data = request(
                args, "GET", (args.master, "dec_keys"),
                params={"key_ID": args.key_ids[0]},
            )
        else:
            body = {"key_IDs": [{"key_ID": key_id} for key_id in args.key_ids]}
            status_code, data = request(
                args, "POST", (args.master, "dec_keys"), body=body
            )
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
        print(json.dumps({"error": type(error).__name__, "detail": str(error)}))
        return 3
    print(json.dumps({"status": status_code, "body": data}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
