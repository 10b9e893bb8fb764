from services.grievances.app import build_spec
from shared.service import run

run(build_spec())
