"""Drives the sandbox with Antom's official Python SDK (PyPI global-alipay-sdk-python 1.0.1), as a merchant would.

Usage: drive_official_sdk.py consult <authState> | apply <authCode> | revoke <accessToken>
Config (JSON in ANTOM_SDK_TEST_CONFIG): sandbox host/port, gateway URL, client-id, merchant private key (PKCS#1
PEM), sandbox public key (SPKI PEM). Prints the SDK's verified response body; a failed signature check raises.

Two shims, both outside what the test checks:
- transport: the SDK always opens HTTPS to port 443 of the gateway host; here the connection goes to the sandbox's
  loopback port over plain HTTP. The request itself is untouched: the SDK still writes the absolute-form target
  `POST https://<gateway>/ams/sandbox/api/... HTTP/1.1` and verifies the answer itself.
- 1.0.1's consult request has a getter that calls itself (`recurring_payment` returns `self.recurring_payment`),
  so any consult raises RecursionError; the subclass below reads the private field as the repository's later
  releases do. recurringPayment is set as a bool, as those releases type it.
"""
import http.client
import json
import os
import sys

import com.alipay.ams.api.net.default_http_rpc as rpc
from com.alipay.ams.api.default_alipay_client import DefaultAlipayClient
from com.alipay.ams.api.model.auth_meta_data import AuthMetaData
from com.alipay.ams.api.model.grant_type import GrantType
from com.alipay.ams.api.model.scope_type import ScopeType
from com.alipay.ams.api.model.terminal_type import TerminalType
from com.alipay.ams.api.request.auth.alipay_auth_apply_token_request import AlipayAuthApplyTokenRequest
from com.alipay.ams.api.request.auth.alipay_auth_consult_request import AlipayAuthConsultRequest
from com.alipay.ams.api.request.auth.alipay_auth_revoke_token_request import AlipayAuthRevokeTokenRequest

config = json.loads(os.environ["ANTOM_SDK_TEST_CONFIG"])


def loopback_connection(url, timeout=15):
    return http.client.HTTPConnection(config["host"], config["port"], timeout=timeout)


setattr(rpc, "__get_http_connection", loopback_connection)


class ConsultRequest(AlipayAuthConsultRequest):
    @property
    def recurring_payment(self):
        return self._AlipayAuthConsultRequest__recurring_payment

    @recurring_payment.setter
    def recurring_payment(self, value):
        self._AlipayAuthConsultRequest__recurring_payment = value


client = DefaultAlipayClient(config["gatewayUrl"], config["clientId"], config["merchantPrivateKey"], config["sandboxPublicKey"])
command, argument = sys.argv[1], sys.argv[2]

if command == "consult":
    request = ConsultRequest()
    request.customer_belongs_to = "PAYPAY"
    request.auth_redirect_url = "https://merchant.example/antom/return"
    request.auth_state = argument
    request.scopes = [ScopeType.AGREEMENT_PAY.value]
    request.terminal_type = TerminalType.WEB.value
    request.recurring_payment = True
    meta = AuthMetaData()
    meta.account_holder_name = "A. Holder"
    request.auth_meta_data = meta
elif command == "apply":
    request = AlipayAuthApplyTokenRequest()
    request.grant_type = GrantType.AUTHORIZATION_CODE.value
    request.customer_belongs_to = "PAYPAY"
    request.auth_code = argument
    request.extend_info = '{"channel":"python-sdk"}'
elif command == "revoke":
    request = AlipayAuthRevokeTokenRequest()
    request.access_token = argument
else:
    raise SystemExit("unknown command " + command)

print(client.execute(request))
