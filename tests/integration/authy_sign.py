"""An independent Python rendering of Authy's callback signature (authy-protocol.md §2.3),
written after authy-python's validate_one_touch_signature, so the tests do not check the C++
signer against itself."""
import base64
import hashlib
import hmac
import re
import time
import urllib.parse


def _pairs(value, key, in_list=False):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _pairs(v, urllib.parse.quote(k) if key is None else key + urllib.parse.quote("[" + k + "]"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _pairs(v, key + urllib.parse.quote(f"[{i}]"), True)
    else:
        if isinstance(value, bool) and not in_list:
            text = "true" if value else "false"
        elif value is None:
            text = "None"
        else:
            text = str(value)
        yield f"{key}={urllib.parse.quote(text)}"


def canonical(params):
    joined = "&".join(_pairs(params, None)).replace("/", "%2F").replace("%20", "+")
    ordered = "&".join(sorted(joined.split("&"))) if joined else ""
    ordered = re.sub(r"%5B[0-9]*%5D", "%5B%5D", ordered)
    return re.sub(r"=None(?=&|$)", "=", ordered)


def sign(key, nonce, method, url, params):
    data = f"{nonce}|{method}|{url}|{canonical(params)}"
    return base64.b64encode(hmac.new(key.encode(), data.encode(), hashlib.sha256).digest()).decode()


def callback_body(authy_id, uuid, status="approved"):
    """A callback shaped like Authy's real ones (V4)."""
    now = int(time.time())
    return {
        "authy_id": authy_id, "device_uuid": 2102943, "callback_action": "approval_request_status",
        "uuid": uuid, "status": status,
        "approval_request": {
            "transaction": {"details": {"Email": "x@example.com"}, "device_details": {}, "device_geolocation": "",
                            "device_signing_time": now, "encrypted": False, "flagged": False,
                            "hidden_details": None, "message": "Request to log in", "reason": "",
                            "requester_details": None, "status": status, "uuid": uuid,
                            "created_at_time": now, "customer_uuid": 15083},
            "expiration_timestamp": now + 120, "logos": None, "app_id": "582380eb7e1caa03317ec08c"},
        "signature": "pQmypvnm+oIb7qIH/rKcd3nwPArh8==",
        "device": {"city": None, "country": "Colombia", "ip": "190.130.65.251", "os_type": "android",
                   "id": 2102943, "registration_date": 1505418165, "last_sync_date": 1505418173},
    }
