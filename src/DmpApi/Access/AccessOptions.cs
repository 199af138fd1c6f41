using Microsoft.Extensions.Options;

namespace DmpApi.Access;

/// <summary>Configuration section "Access": where the habilitation matrix file is (DMP-RULES §2 rule 5).</summary>
public sealed class AccessOptions
{
    public const string Section = "Access";
    public const string DefaultHabilitationsFile = "Access/habilitations.json";

    /// <summary>The matrix file; a relative path is taken from the application's folder, where the shipped file is copied.</summary>
    public string HabilitationsFile { get; set; } = DefaultHabilitationsFile;

    public string HabilitationsPath => Path.GetFullPath(HabilitationsFile, AppContext.BaseDirectory);

    /// <summary>How many records' directives <see cref="RecordDirectivesCache"/> keeps (each checked against its stamp on every use).</summary>
    public int RecordCacheSize { get; set; } = 100_000;
}

/// <summary>At start: the matrix file exists, parses and has well-formed codes, or the application does not start.</summary>
internal sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.HabilitationsFile))
        {
            return ValidateOptionsResult.Fail("Access:HabilitationsFile must name the habilitation matrix file.");
        }

        var path = options.HabilitationsPath;
        if (!File.Exists(path))
        {
            return ValidateOptionsResult.Fail($"Access:HabilitationsFile: the habilitation matrix file {path} does not exist.");
        }

        return HabilitationMatrix.TryLoad(path, out _, out var problems)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"Access:HabilitationsFile {path}: {p}"));
    }
}
