"""The loopback stand-in for livekit-server and an NTP responder (used by `lkdebug demo`, tests, screenshots).

Everything here is labelled as a stand-in wherever it shows. The keys are obviously fake.
"""

DEMO_API_KEY = "APIdemoFAKEkey01"
DEMO_API_SECRET = "demo-secret-FAKE-not-for-production-0123456789"
