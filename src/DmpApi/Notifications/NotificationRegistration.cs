using DmpApi.Access;

namespace DmpApi.Notifications;

public static class NotificationRegistration
{
    /// <summary>Patient notifications (DMP-RULES §4): the access notifier of each request, the store, the R1111-53 sweep, and the sender that mails them (issue 15).</summary>
    public static IServiceCollection AddPatientNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NotificationStore>();
        services.AddScoped<AccessNotifier>();
        services.AddScoped<IAccessDecisionObserver>(sp => sp.GetRequiredService<AccessNotifier>());
        services.AddSingleton<UnannouncedDocumentSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<UnannouncedDocumentSweeper>());

        // Issue 15: the notices are mailed from the outbox (the notification rows); no Notifications:Smtp:Host, no mail.
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.IsConfigured || MimeKit.MailboxAddress.TryParse(o.From, out _),
                "Notifications:Smtp:From must be a mail address when Notifications:Smtp:Host is set.")
            .Validate(o => string.IsNullOrEmpty(o.UserName) == string.IsNullOrEmpty(o.Password),
                "Notifications:Smtp:UserName and Notifications:Smtp:Password go together.")
            .ValidateOnStart();
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.RetryBaseDelay <= o.RetryMaxDelay, "Notifications:Delivery:RetryBaseDelay must not exceed RetryMaxDelay.")
            .ValidateOnStart();
        services.AddSingleton<NotificationSender>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationSender>());
        return services;
    }
}
