"""Weekly report job."""
