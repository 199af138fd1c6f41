namespace DmpApi.Auth;

/// <summary>
/// Who asks: a professional, a patient, a system feeding records (the Assurance Maladie's care history, issue 15), or a
/// legal representative acting for a minor holder (issue 14).
/// </summary>
public enum RequesterKind { Professional, Patient, System, Representative }

/// <summary>Who is asking, read from the token's claims (and the provider's userinfo) through a <see cref="ClaimMapping"/> (DESIGN §3).</summary>
public sealed record Requester(
    RequesterKind Kind,
    string Subject,
    string? IdNatPs,
    string? Profession,
    string? Ins,
    string? Name,
    string PurposeOfUse,
    IReadOnlySet<string> Scopes)
{
    public const string TreatmentPurpose = "TREAT";

    /// <summary>The value of the trace restriction claim that keeps an access's trace from a minor's legal representatives (TRE_A07).</summary>
    public const string TraceInvisibleToRepresentatives = "INVISIBLE_REPRESENTANTS_LEGAUX";

    /// <summary>The system of a professional's national identifier, idNatPs (DMP-RULES §1): the one home of this fact.</summary>
    public const string IdNatPsSystem = "urn:oid:1.2.250.1.71.4.2.1";
    public static readonly IReadOnlySet<string> PurposesOfUse = new HashSet<string> { "TREAT", "BTG", "ETREAT" };

    /// <summary>TRE_G15 profession codes the server knows (DMP-RULES §1); any other is refused at authentication.</summary>
    public static readonly IReadOnlySet<string> KnownProfessions = new HashSet<string>
    {
        "10", "21", "40", "50", "60", "69", "70", "80", "81", "82", "83", "84", "85", "86", "91", "92", "94", "95", "96", "98",
    };

    /// <summary>
    /// The system of a legal representative's identifier (token claim representative_id, RelatedPerson.identifier): their
    /// own INS-NIR, as a representative is an adult with a French identity.
    /// </summary>
    public const string RepresentativeIdSystem = "urn:oid:1.2.250.1.213.1.4.8";

    /// <summary>A representative's token: the INS of the minor whose record they act on (claim representative_of); null otherwise.</summary>
    public string? RepresentedIns { get; init; }

    /// <summary>The requester acts as the record's holder does (DMP-RULES §3): the patient, or a representative while the holder is a minor.</summary>
    public bool ActsForHolder => Kind is RequesterKind.Patient or RequesterKind.Representative;

    /// <summary>The INS of the record this requester acts on as its holder: the patient's own, the represented minor's.</summary>
    public string? HolderIns => Kind == RequesterKind.Representative ? RepresentedIns : Ins;

    /// <summary>
    /// The professional asked that the trace of this access be kept from a minor's legal representatives (issue 14: the
    /// trace carries INVISIBLE_REPRESENTANTS_LEGAUX in AuditEvent.meta.security; token claim trace_restriction).
    /// </summary>
    public bool TraceHiddenFromRepresentatives { get; init; }

    /// <summary>The identity provider grants the medical regulation attribute (centre 15): the only way to ETREAT.</summary>
    public bool HasRegulationAttribute { get; init; }

    /// <summary>A system granted the death-record right (ClaimMapping.RecordsDeaths): it closes a record on its holder's death (issue 14).</summary>
    public bool RecordsDeaths { get; init; }

    /// <summary>Why the professional chose this access mode: the justification a bris de glace requires, kept in the audit trail.</summary>
    public string? PurposeOfUseReason { get; init; }

    /// <summary>Reads the requester through <paramref name="mapping"/>; null when the claims do not describe one (then 401).</summary>
    public static Requester? FromClaims(ClaimPath claims, ClaimMapping mapping, out string? problem)
    {
        var idnps = claims.First(mapping.IdNatPs);
        var ins = claims.First(mapping.Ins);
        var scopes = (claims.First(mapping.Scope) ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var subject = claims.First(mapping.Subject) ?? idnps ?? ins ?? string.Empty;
        var name = (mapping.Name ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(claims.First).OfType<string>().ToList() is { Count: > 0 } parts
            ? string.Join(' ', parts)
            : null;
        problem = null;

        if (idnps is not null && ins is not null)
        {
            problem = $"The token names both a professional ({mapping.IdNatPs}) and a patient ({mapping.Ins}); it must name one.";
            return null;
        }

        if (idnps is not null)
        {
            var professions = claims.Values(mapping.Profession);
            var profession = professions.FirstOrDefault(KnownProfessions.Contains);
            if (profession is null)
            {
                problem = $"The token's profession ({mapping.Profession}) '{string.Join(", ", professions)}' is not a known TRE_G15 code.";
                return null;
            }

            var declared = claims.First(mapping.PurposeOfUse);
            var purpose = declared is null ? TreatmentPurpose : mapping.PurposeOfUseCodes.GetValueOrDefault(declared, declared);
            if (!PurposesOfUse.Contains(purpose))
            {
                problem = $"The token's access mode ({mapping.PurposeOfUse}) '{declared}' is not one of TREAT, BTG, ETREAT"
                    + (mapping.PurposeOfUseCodes.Count > 0 ? $" or {string.Join(", ", mapping.PurposeOfUseCodes.Keys)}." : ".");
                return null;
            }

            var granted = (mapping.RegulationGrantedValues ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new Requester(RequesterKind.Professional, subject, idnps, profession, null, name, purpose, scopes)
            {
                HasRegulationAttribute = claims.Values(mapping.Regulation).Any(v => granted.Contains(v, StringComparer.OrdinalIgnoreCase)),
                PurposeOfUseReason = claims.First(mapping.PurposeOfUseReason)?.Trim() is { Length: > 0 } reason ? reason : null,
                TraceHiddenFromRepresentatives = claims.Values(mapping.TraceRestriction).Contains(TraceInvisibleToRepresentatives, StringComparer.Ordinal),
            };
        }

        if (claims.First(mapping.RepresentativeOf) is { } represented)
        {
            // A legal representative (issue 14): the child's INS, and their own identifier, which a RelatedPerson of the record names.
            var representativeId = claims.First(mapping.RepresentativeId);
            if (ins is not null || representativeId is not { Length: > 0 })
            {
                problem = $"A legal representative's token names the minor's INS ({mapping.RepresentativeOf}) and the representative's own identifier "
                    + $"({mapping.RepresentativeId}), and no patient INS ({mapping.Ins}).";
                return null;
            }

            return new Requester(RequesterKind.Representative, subject, null, null, representativeId.Replace(" ", string.Empty), name, TreatmentPurpose, scopes)
            {
                RepresentedIns = represented.Replace(" ", string.Empty),
            };
        }

        if (ins is not null)
        {
            return new Requester(RequesterKind.Patient, subject, null, null, ins.Replace(" ", string.Empty), name, TreatmentPurpose, scopes);
        }

        // SMART Backend Services (client credentials): a system known by its client id, with system/… scopes only.
        if (claims.First(mapping.ClientId) is { } clientId)
        {
            if (!mapping.Systems.TryGetValue(clientId, out var systemName))
            {
                problem = $"The client '{clientId}' ({mapping.ClientId}) is not a system this server accepts (Auth:ClaimMappings:…:Systems).";
                return null;
            }

            return new Requester(RequesterKind.System, clientId, null, null, null, systemName, TreatmentPurpose,
                scopes.Where(s => s.StartsWith("system/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal))
            {
                RecordsDeaths = mapping.RecordsDeaths.Contains(clientId),
            };
        }

        problem = $"The token names neither a professional ({mapping.IdNatPs ?? "no idNatPs claim configured"}) nor a patient ({mapping.Ins ?? "no INS claim configured"}).";
        return null;
    }
}
