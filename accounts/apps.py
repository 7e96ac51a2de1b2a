from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与权限"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from . import security

        # Wiring only: every login, logout and failure is audited, and failures counted for the lockout.
        user_login_failed.connect(security.on_login_failed, dispatch_uid="accounts-login-failed")
        user_logged_in.connect(security.on_logged_in, dispatch_uid="accounts-logged-in")
        user_logged_out.connect(security.on_logged_out, dispatch_uid="accounts-logged-out")
