"""Run the patient mailbox: `python -m services.messaging.patient`
(settings from PATIENT_MAILBOX_* env)."""

from services.messaging.patient.bootstrap import SERVICE, build_app
from services.messaging.patient.settings import PatientMailboxSettings
from shared.serve import serve

if __name__ == "__main__":
    serve(build_app, PatientMailboxSettings(), SERVICE)
