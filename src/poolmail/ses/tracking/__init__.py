"""Open and click tracking: the pixel and rewritten links of a tracked configuration
set's HTML mail, served by poolmail, and the Open and Click events they publish."""
