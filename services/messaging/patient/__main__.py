from services.messaging.patient.bootstrap import SERVICE, build_app
from services.messaging.patient.settings import PatientMailboxSettings
from shared.serve import serve

serve(build_app, PatientMailboxSettings(), SERVICE)
