"""Checks presigned S3 URLs with botocore, an implementation independent of edgetube's sigv4.

Usage: verify_presigned.py ACCESS_KEY SECRET_KEY REGION < lines of "METHOD URL".
For each line, strips the signature parameters, signs the rest again with botocore at the URL's
own X-Amz-Date and expiry, and prints "ok" or what differs.
"""
import datetime
import sys
from unittest import mock
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import botocore.auth
import botocore.awsrequest
import botocore.credentials

access_key, secret_key, region = sys.argv[1], sys.argv[2], sys.argv[3]
credentials = botocore.credentials.Credentials(access_key, secret_key)
for line in sys.stdin:
    method, url = line.split()
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    auth = {k: v for k, v in query if k.startswith("X-Amz-")}
    rest = [(k, v) for k, v in query if not k.startswith("X-Amz-")]
    unsigned = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if rest:
        unsigned += "?" + urlencode(rest, quote_via=quote, safe="~")
    request = botocore.awsrequest.AWSRequest(method=method, url=unsigned)
    when = datetime.datetime.strptime(auth["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer = botocore.auth.S3SigV4QueryAuth(credentials, "s3", region, expires=int(auth["X-Amz-Expires"]))
        signer.add_auth(request)
    expected = dict(parse_qsl(urlsplit(request.url).query))
    same = all(expected.get(k) == v for k, v in auth.items()) and len(auth) == 6
    print("ok" if same else f"mismatch: ours {auth} botocore {expected}")
