using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DmpApi.Access;

/// <summary>Registration of the DMP access rules (DMP-RULES §2); Program.cs calls AddAccessRules once.</summary>
public static class AccessRulesRegistration
{
    /// <summary>The habilitation matrix (validated on start, DMP-RULES §2 rule 5) and <see cref="DocumentVisibility"/>, as singletons.</summary>
    public static IServiceCollection AddAccessRules(this IServiceCollection services)
    {
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>());
        services.TryAddSingleton(sp => HabilitationMatrix.Load(sp.GetRequiredService<IOptions<AccessOptions>>().Value.HabilitationsPath));
        services.TryAddSingleton<DocumentVisibility>();
        services.TryAddSingleton<RecordDirectivesCache>();
        return services;
    }
}
