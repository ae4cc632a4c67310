"""forms' pure rules (no I/O): the questionnaire model, its FHIR R4 export, enableWhen,
answer validation, bilingual messages and rendering."""
