"""Patients: the population register copy, patient accounts, activation letters and their
print queue, and the password login of patients."""
