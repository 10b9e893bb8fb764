from services.claims.app import build_spec
from shared.service import run

run(build_spec())
