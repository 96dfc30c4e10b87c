"""Fault reports, SLA clocks in service hours, outages and availability (DOMAIN.md §7.6–§7.11, §6.1)."""
