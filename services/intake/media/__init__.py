"""Media kept as evidence: providers' photos and documents fetched once, stored, shown."""
