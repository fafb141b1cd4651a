"""A stateful local fake of AWS IAM Identity Center: the SSO OIDC service and the SSO portal on one port.

Run it with scripts/fake_sso.py; docs/fake-sso.md describes the options and the control endpoints.
Modules: wire (error envelopes, identifiers), state (the model and its lock), oidc, portal, control (the
/_fake/ endpoints), server (HTTP plumbing, routing, fault injection, the command line).
"""
