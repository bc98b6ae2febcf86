"""The WalletKit login flow driven over HTTP, for the conformance fixtures and hooks
(scripts/conformance.sh): a JSON call, and a challenge approved as the user's other device would."""
import json
import urllib.request


class LoginFlow:
    def __init__(self, base_url, project):
        self.base_url = base_url
        self.project = project

    def call(self, method, path, body=None, walletkit_api=True):
        headers = {"Content-Type": "application/json"}
        if walletkit_api:
            headers["X-WalletKit-Project-ID"] = self.project
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def approved_code(self):
        """A new challenge's code, completed through the control API (verify-login takes it once)."""
        code = self.call("POST", "/users/create-session-challenge")["code"]
        self.call("POST", f"/__admin/walletkit/session-challenges/{code}/complete", walletkit_api=False)
        return code
