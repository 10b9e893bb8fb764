"""Claims service: files JKK and JKM claims, verifies them, decides and records payouts."""
