"""PeerTube's short UUID (base58 of the UUID's 128 bits, 22 characters), for the benchmarks' seeds.

The seeds insert videos straight into SQL, so they must compute what the domain code stores.
"""

ALPHABET = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def short_uuid(uuid):
    value, digits = int(uuid.replace("-", ""), 16), []
    while value:
        value, d = divmod(value, 58)
        digits.append(ALPHABET[d])
    return "".join(reversed(digits)).rjust(22, ALPHABET[0])
