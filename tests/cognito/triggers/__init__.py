"""Black-box tests of the Lambda triggers, with real functions run by the embedded runner."""
