"""Single sign-on: OpenID Connect sign-in and SCIM provisioning."""
