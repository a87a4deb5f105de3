#!/usr/bin/env python3
"""Writes the hand-made seed files of tests/fuzz/corpus/<target>/ (RFC examples and the
hostile inputs of DESIGN.md §5). Re-running it rewrites only the seed-*.bin files; inputs the
fuzzers found (regression-*) are kept alongside."""
import base64, json, os

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

def b64(b):
    if isinstance(b, str): b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def jwt(header, claims, sig=b"sig"):
    h = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    c = claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))
    return f"{b64(h)}.{b64(c)}.{b64(sig)}"

def write(target, items):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"): os.remove(os.path.join(d, f))
    for name, data in items:
        if isinstance(data, str): data = data.encode()
        with open(os.path.join(d, f"seed-{name}.bin"), "wb") as fh: fh.write(data)

# RFC 7519 §3.1 example and an id_token as the reference server issues them.
rfc7519 = ("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
           "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
           "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
ISS = "https://issuer.example"
good_claims = {"iss": ISS, "sub": "alice", "aud": "spa", "exp": 1700000600, "iat": 1700000000,
               "nonce": "n-0S6_WzA2Mj"}
id_token = jwt({"alg": "ES256", "kid": "k1"}, good_claims)

write("fuzz_json", [
    ("object", '{"a":1,"b":[true,false,null],"c":{"d":"e\\u00e9"}}'),
    ("rfc8259-example", '{"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor",'
     '"Thumbnail":{"Url":"http://www.example.com/image/481989943","Height":125,"Width":100},'
     '"Animated":false,"IDs":[116,943,234,38793]}}'),
    ("array-top", '[1,-2.5e10,"x",{}]'),
    ("duplicate", '{"a":1,"a":2}'),
    ("duplicate-nested", '{"x":{"b":1,"b":1}}'),
    ("truncated", '{"'),
    ("null", 'null'), ("empty-array", '[]'),
    ("depth-32", '[' * 32 + ']' * 32), ("depth-33", '[' * 33 + ']' * 33),
    ("deep-10000", '[' * 10000),
    ("huge-number", '[1e400,-1e400,123456789012345678901234567890]'),
    ("surrogates", '["\\ud83d\\ude00","\\ud800"]'),
    ("bad-utf8", b'["\xff\xfe"]'),
    ("trailing", '{} {}'), ("nul", b'{"a\x00":1}'),
])

write("fuzz_jwt", [
    ("rfc7519", b"\x00" + rfc7519.encode()),
    ("id-token", b"\x00" + id_token.encode()),
    ("alg-none", b"\x00" + jwt({"alg": "none"}, {"sub": "x"}, b"").encode()),
    ("two-segments", b"\x00" + b"eyJhbGciOiJIUzI1NiJ9.e30"),
    ("jwe-five", b"\x00" + b"a.b.c.d.e"),
    ("duplicate-claims", b"\x00" + jwt('{"alg":"ES256"}', '{"sub":"a","sub":"b"}').encode()),
    ("crit", b"\x00" + jwt({"alg": "ES256", "crit": ["exp"]}, {}).encode()),
    ("padded", b"\x00" + (jwt({"alg": "ES256"}, {}) + "==").encode()),
    ("structured", b"\x01" + b'{"alg":"ES256","kid":"k1"}\n{"iss":"https://issuer.example","sub":"alice"}\nsig'),
    ("structured-dup", b"\x01" + b'{"alg":"ES256","alg":"none"}\n{}\n'),
    ("structured-array", b"\x01" + b'{"alg":"ES256"}\n[]\n'),
    ("structured-deep", b"\x01" + b'{"alg":"ES256"}\n{"a":' + b'[' * 40 + b']' * 40 + b'}\n'),
])

write("fuzz_base64url", [
    ("rfc4648-f", "Zg"), ("rfc4648-foobar", "Zm9vYmFy"), ("pkce-verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    ("padded", "Zg=="), ("std-alphabet", "+/+/"), ("nonzero-pad", "Zh"), ("len1mod4", "Zm9vY"),
    ("bytes", bytes(range(256))), ("empty", ""),
])

cb = [
    ("ok", "code=SplxlOBeZQQYbYS6WxSbIA&state=xyz"),
    ("ok-iss", "code=abc&state=xyz&iss=https%3A%2F%2Fissuer.example"),
    ("wrong-iss", "code=abc&state=xyz&iss=https%3A%2F%2Fevil.example"),
    ("no-state", "code=abc"), ("wrong-state", "code=abc&state=xyZ"),
    ("dup-state", "code=abc&state=xyz&state=xyz"), ("dup-code", "code=a&code=b&state=xyz"),
    ("error", "error=access_denied&error_description=the+user+said+no&state=xyz"),
    ("error-login-required", "error=login_required&state=xyz"),
    ("error-no-state", "error=access_denied"),
    ("error-bytes", "error=server_error&error_description=%C3%A9%FF&state=xyz"),
    ("bad-percent", "code=%zz&state=xyz"), ("fragment", "code=abc&state=xyz#frag"),
    ("empty-code", "code=&state=xyz"), ("empties", "&&=&state=xyz&code=1&"),
]
write("fuzz_callback", cb)

write("fuzz_token_response", [
    ("rfc6749-5.1", '{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"example","expires_in":3600,'
     '"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","example_parameter":"example_value"}'),
    ("bearer", '{"access_token":"abc.def.ghi","token_type":"Bearer","expires_in":900,"scope":"openid"}'),
    ("with-id-token", json.dumps({"access_token": "at", "token_type": "bearer", "expires_in": 60,
                                  "id_token": id_token, "refresh_token": "rt"})),
    ("id-token-alg-none", json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 60,
                                      "id_token": jwt({"alg": "none"}, good_claims, b"")})),
    ("id-token-wrong-aud", json.dumps({"access_token": "at", "token_type": "Bearer", "expires_in": 60,
                                       "id_token": jwt({"alg": "ES256"}, {**good_claims, "aud": ["x", "spa"]})})),
    ("rfc6749-5.2", '{"error":"invalid_grant","error_description":"refresh token reused"}'),
    ("open", '{"'), ("null", "null"), ("array", "[]"),
    ("wrong-types", '{"access_token":1,"token_type":["Bearer"],"expires_in":"60"}'),
    ("unknown-type", '{"access_token":"a","token_type":"MAC","expires_in":60}'),
    ("negative-expiry", '{"access_token":"a","token_type":"Bearer","expires_in":-1}'),
    ("huge-expiry", '{"access_token":"a","token_type":"Bearer","expires_in":1e308}'),
    ("header-injection", '{"access_token":"a\\r\\nX: y","token_type":"Bearer","expires_in":60}'),
    ("duplicate", '{"access_token":"a","access_token":"b","token_type":"Bearer","expires_in":60}'),
])

write("fuzz_www_authenticate", [
    ("rfc6750-3", 'Bearer realm="example", error="invalid_token", error_description="The access token expired"'),
    ("token-expired", "token_expired"), ("insufficient-scope", 'Bearer error="insufficient_scope", scope="admin"'),
    ("two-challenges", 'Basic realm="x", Bearer error="invalid_token"'),
    ("quoted-escape", 'Bearer error="invalid\\_token"'), ("unterminated", 'Bearer error="invalid_token'),
    ("token68", "Bearer abc==, error=invalid_token"), ("empty", ""), ("commas", ",,, ,"),
])

H = '"handle":0'
resp = lambda body, status=200, ct="application/json": json.dumps(
    {"status": status, "contentType": ct, "body": body})
write("fuzz_api", [
    ("createPkcePair", 'createPkcePair\n{"length":64}'),
    ("createPkcePair-bad-length", 'createPkcePair\n{"length":-1}'),
    ("pkceChallenge-rfc7636", 'pkceChallenge\n{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}'),
    ("decodeJwt", "decodeJwt\n" + json.dumps({"token": rfc7519})),
    ("decodeJwt-deep", "decodeJwt\n" + json.dumps({"token": jwt({"alg": "ES256"}, '{"a":' + '[' * 31 + ']' * 31 + '}')})),
    ("create", 'create\n{"options":{"issuer":"https://issuer.example","clientId":"spa"}}'),
    ("create-bad", 'create\n{"options":{"issuer":"http://evil.example","clientId":""}}'),
    ("destroy", "destroy\n{" + H + "}"),
    ("cleanCallbackUrl", 'cleanCallbackUrl\n{"url":"https://app.example/cb?code=a&state=b&keep=1#x"}'),
    ("beginLogin", "beginLogin\n{" + H + ',"returnTo":"/p","prompt":"none","extraParams":{"ui_locales":"fr"}}'),
    ("beginLogin-reserved", "beginLogin\n{" + H + ',"extraParams":{"state":"x"}}'),
    ("parseCallback", "parseCallback\n{" + H + ',"url":"https://app.example/cb?code=c&state=xyz","transaction":'
     + json.dumps(json.dumps({"v": 1, "state": "xyz", "nonce": "n", "verifier": "v", "issuer": "https://issuer.example",
                              "clientId": "spa", "redirectUri": "https://app.example/cb"})) + "}"),
    ("parseCallback-error-bytes", "parseCallback\n{" + H + ',"url":"https://app.example/cb?error=x&error_description=%FF&state=xyz","transaction":'
     + json.dumps(json.dumps({"v": 1, "state": "xyz", "nonce": "n", "verifier": "v", "issuer": "https://issuer.example",
                              "clientId": "spa", "redirectUri": "https://app.example/cb"})) + "}"),
    ("acceptLoginResponse", "acceptLoginResponse\n{" + H + ',"wall":1700000000000,"mono":2000,"response":'
     + resp(json.dumps({"access_token": "x", "token_type": "Bearer", "expires_in": 60, "id_token": id_token})) + "}"),
    ("acceptCodeResponse-open", "acceptCodeResponse\n{" + H + ',"response":' + resp('{"') + "}"),
    ("beginRefresh", "beginRefresh\n{" + H + "}"),
    ("finishRefresh-invalid-grant", "finishRefresh\n{" + H + ',"response":' + resp('{"error":"invalid_grant"}', 400) + "}"),
    ("finishRefresh-5xx", "finishRefresh\n{" + H + ',"response":' + resp("oops", 503, "text/plain") + "}"),
    ("authorization", "authorization\n{" + H + ',"mono":1500}'),
    ("classifyApiResponse", "classifyApiResponse\n{" + H + ',"attempt":1,"generation":1,"status":401,"wwwAuthenticate":"Bearer error=\\"invalid_token\\""}'),
    ("logoutRequests", "logoutRequests\n{" + H + ',"everywhere":true,"redirect":true,"postLogoutRedirectUri":"https://app.example/","state":"s"}'),
    ("passwordLoginRequest", "passwordLoginRequest\n{" + H + ',"username":"alice","password":"pw"}'),
    ("info", "info\n{" + H + ',"mono":1000}'), ("wipe", "wipe\n{" + H + "}"),
    ("unknown-op", "nope\n{}"), ("not-json", "info\n{"), ("no-args", "info"), ("array-args", "info\n[]"),
    ("deep-args", "info\n" + "[" * 10000),
])
