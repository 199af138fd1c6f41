using DmpApi.Access;

namespace DmpApi.Notifications;

public static class NotificationRegistration
{
    /// <summary>Patient notifications (DMP-RULES §4): the access notifier of each request, the store, and the R1111-53 sweep.</summary>
    public static IServiceCollection AddPatientNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NotificationStore>();
        services.AddScoped<AccessNotifier>();
        services.AddScoped<IAccessDecisionObserver>(sp => sp.GetRequiredService<AccessNotifier>());
        services.AddSingleton<UnannouncedDocumentSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<UnannouncedDocumentSweeper>());
        return services;
    }
}
