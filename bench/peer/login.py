#!/usr/bin/env python
"""Log in to the helpdesk through its own login form; print the cookies as JSON.

    python login.py [--base http://127.0.0.1:8001] [--user agent01] [--password ...]
Output: {"sessionid": "...", "csrftoken": "...", "cookie": "sessionid=...; csrftoken=..."}
"""

import argparse
import json
import re
import sys

import httpx


def login(base, user, password):
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        r = c.get("/helpdesk/login/")
        r.raise_for_status()
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
        if not m:
            sys.exit("no csrf token on login page")
        r = c.post(
            "/helpdesk/login/",
            data={
                "username": user,
                "password": password,
                "csrfmiddlewaretoken": m.group(1),
                "next": "/helpdesk/",
            },
            headers={"Referer": base + "/helpdesk/login/"},
        )
        if r.status_code != 302 or "sessionid" not in c.cookies:
            sys.exit(f"login failed: HTTP {r.status_code}")
        sid, csrf = c.cookies["sessionid"], c.cookies["csrftoken"]
        return {"sessionid": sid, "csrftoken": csrf, "cookie": f"sessionid={sid}; csrftoken={csrf}"}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:8001")
    ap.add_argument("--user", default="agent01")
    ap.add_argument("--password", default="bench-pass-1")
    a = ap.parse_args()
    print(json.dumps(login(a.base, a.user, a.password)))
