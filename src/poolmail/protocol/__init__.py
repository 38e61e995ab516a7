"""Wire protocols driven by botocore's service models: JSON 1.1, query/XML, REST-JSON."""
