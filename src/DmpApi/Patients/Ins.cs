using System.Numerics;

namespace DmpApi.Patients;

/// <summary>Identifiant National de Santé (DMP-RULES §1): systems and the INS-NIR key check.</summary>
public static class Ins
{
    public const string NirSystem = "urn:oid:1.2.250.1.213.1.4.8";
    public const string NiaSystem = "urn:oid:1.2.250.1.213.1.4.9";
    public const string TestSystem = "urn:oid:1.2.250.1.213.1.4.10";
    public const string DemoSystem = "urn:oid:1.2.250.1.213.1.4.11";

    public static readonly IReadOnlySet<string> Systems = new HashSet<string> { NirSystem, NiaSystem, TestSystem, DemoSystem };

    /// <summary>Spaces are ignored on input.</summary>
    public static string Normalize(string value) => value.Replace(" ", string.Empty).ToUpperInvariant();

    /// <summary>Checks a 15-character NIR: key = 97 − (N mod 97), N being the first 13 characters with 2A→19, 2B→18 (Corsica).</summary>
    public static bool TryValidateNir(string value, out string problem)
    {
        var nir = Normalize(value);
        problem = string.Empty;
        if (nir.Length != 15)
        {
            problem = $"An INS-NIR has 15 characters (13 + a 2-digit key); '{value}' has {nir.Length}.";
            return false;
        }

        var body = nir[..13].Replace("2A", "19").Replace("2B", "18");
        if (!body.All(char.IsAsciiDigit) || !nir[13..].All(char.IsAsciiDigit))
        {
            problem = $"An INS-NIR is made of digits (2A or 2B for Corsica at the department); '{value}' is not.";
            return false;
        }

        var expected = 97 - (int)(BigInteger.Parse(body) % 97);
        var key = int.Parse(nir[13..]);
        if (key != expected)
        {
            problem = $"The INS-NIR key of '{value}' is {key:00}, but its first 13 characters give {expected:00}.";
            return false;
        }

        return true;
    }

    /// <summary>Appends the valid key to 13 characters (tests and seeding make valid identities with it).</summary>
    public static string WithKey(string first13)
    {
        var n = BigInteger.Parse(first13.Replace("2A", "19").Replace("2B", "18"));
        return first13 + (97 - (int)(n % 97)).ToString("00");
    }
}
