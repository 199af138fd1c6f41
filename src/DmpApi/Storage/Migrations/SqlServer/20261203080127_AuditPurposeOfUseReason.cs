using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DmpApi.Storage.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class AuditPurposeOfUseReason : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "PurposeOfUseReason",
                table: "AuditRecords",
                type: "nvarchar(1000)",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "PurposeOfUseReason",
                table: "AuditRecords");
        }
    }
}
