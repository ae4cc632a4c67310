from services.messaging.careunit.bootstrap import SERVICE, build_app
from services.messaging.careunit.settings import CareUnitMailboxSettings
from shared.serve import serve

serve(build_app, CareUnitMailboxSettings(), SERVICE)
