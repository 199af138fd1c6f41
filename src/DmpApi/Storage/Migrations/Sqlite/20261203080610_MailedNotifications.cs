using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MailedNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "Notifications",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "DeliveredAt",
                table: "Notifications",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Delivery",
                table: "Notifications",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "NotMailed"); // notices written before mail existed stay unmailed (NotificationDelivery.NotMailed)

            migrationBuilder.AddColumn<string>(
                name: "DeliveryOutcome",
                table: "Notifications",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "LeaseExpiresAt",
                table: "Notifications",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "Notifications",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "NextAttemptAt",
                table: "Notifications",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_NextAttemptAt",
                table: "Notifications",
                column: "NextAttemptAt");

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_RecipientIdNatPs_SentAt",
                table: "Notifications",
                columns: new[] { "RecipientIdNatPs", "SentAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Notifications_NextAttemptAt",
                table: "Notifications");

            migrationBuilder.DropIndex(
                name: "IX_Notifications_RecipientIdNatPs_SentAt",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "DeliveredAt",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "Delivery",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "DeliveryOutcome",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "NextAttemptAt",
                table: "Notifications");
        }
    }
}
