from django.contrib.auth.hashers import BasePasswordHasher


class ForbiddenHasher(BasePasswordHasher):
    algorithm = "forbidden"

    def encode(self, password: str, salt: str) -> str:
        raise AssertionError("A password hasher ran.")

    def verify(self, password: str, encoded: str) -> bool:
        raise AssertionError("A password hasher ran.")

    def safe_summary(self, encoded: str) -> dict[str, str]:
        return {}
