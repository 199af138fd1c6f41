using DmpApi.Patients;

namespace DmpApi.Tests.Unit;

/// <summary>INS-NIR key check (DMP-RULES §1): key = 97 − (N mod 97), 2A→19 and 2B→18, spaces ignored.</summary>
public sealed class InsTests
{
    // Keys below were computed independently of the code under test.
    [TestCase("255081416802538")]
    [TestCase("184122A12345697")]
    [TestCase("284122B12345674")]
    [TestCase("184121212345692")]
    public void A_NIR_with_the_right_key_is_valid(string nir)
    {
        var valid = Ins.TryValidateNir(nir, out var problem);

        Assert.That(valid, Is.True, problem);
    }

    [TestCase("255081416802539")]
    [TestCase("255081416802583")]
    [TestCase("184122A12345692")]
    [TestCase("284122B12345697")]
    public void A_NIR_with_a_wrong_key_is_refused_with_a_message_about_the_key(string nir)
    {
        var valid = Ins.TryValidateNir(nir, out var problem);

        Assert.Multiple(() =>
        {
            Assert.That(valid, Is.False);
            Assert.That(problem, Does.Contain("key"));
        });
    }

    [Test]
    public void Corsica_2A_and_2B_give_different_keys_for_the_same_digits()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Ins.TryValidateNir("184122A12345697", out _), Is.True);
            Assert.That(Ins.TryValidateNir("184122B12345697", out _), Is.False);
        });
    }

    [TestCase("25508141680253")]
    [TestCase("2550814168025381")]
    [TestCase("")]
    public void A_NIR_of_the_wrong_length_is_refused(string nir)
    {
        var valid = Ins.TryValidateNir(nir, out var problem);

        Assert.Multiple(() =>
        {
            Assert.That(valid, Is.False);
            Assert.That(problem, Does.Contain("15 characters"));
        });
    }

    [TestCase("2550814168025X8")]
    [TestCase("25508141680253X")]
    [TestCase("1841Z2A12345697")]
    public void A_NIR_with_other_characters_than_digits_is_refused(string nir)
    {
        var valid = Ins.TryValidateNir(nir, out var problem);

        Assert.Multiple(() =>
        {
            Assert.That(valid, Is.False);
            Assert.That(problem, Is.Not.Empty);
        });
    }

    [TestCase("2 55 08 14 168 025 38")]
    [TestCase(" 255081416802538 ")]
    [TestCase("1 84 12 2a 123 456 97")]
    public void Spaces_and_case_are_ignored(string nir)
    {
        var valid = Ins.TryValidateNir(nir, out var problem);

        Assert.That(valid, Is.True, problem);
    }

    [TestCase("2550814168025", "255081416802538")]
    [TestCase("184122A123456", "184122A12345697")]
    [TestCase("284122B123456", "284122B12345674")]
    public void WithKey_appends_the_valid_key(string first13, string expected)
    {
        Assert.That(Ins.WithKey(first13), Is.EqualTo(expected));
    }
}
