/// AWS groundwork without packages: SHA-256, HMAC-SHA256, Signature Version 4, credentials,
/// regions and endpoints. (Being written.)
public enum AWS {}
