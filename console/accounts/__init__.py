"""Tenancy and licences: resellers, customers, PBXs, sites, trunks, phone users, packages, licence history."""
